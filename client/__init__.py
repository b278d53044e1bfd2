"""`epa`: the command-line client of the EPA HTTP API, for HR and SREs.

It speaks HTTP only (configured by EPA_URL and EPA_TOKEN) and imports nothing of the
server's packages, so it runs anywhere the API is reachable."""
