"""Clients that push lead events to the sales desk (the company's CRM), one per format."""
