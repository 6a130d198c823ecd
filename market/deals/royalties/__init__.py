"""Royalties (提成费) of licences: periods from the agreed terms, the licensee's reports, the licensor's answers, payments."""
