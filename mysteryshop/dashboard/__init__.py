"""The dashboard (`mysteryshop serve`): read-only web pages over the run store. See app.py for the pages."""
