"""开放许可: the patentee's declaration (PL 50–52; IR 85–88), from assistant to announcement and end."""
