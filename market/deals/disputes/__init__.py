"""Disputes over a deal (争议): raised by a party, answered, mediated by the point, closed; models, services, API."""
