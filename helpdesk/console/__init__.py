"""The staff console: login, ticket queue and search, transcripts, takeover, answers.

`helpdesk.console.setup.setup_console(app)` adds it to the application. This package
file stays empty so that the migrations can import the console's models alone.
"""
