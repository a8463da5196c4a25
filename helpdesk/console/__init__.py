"""The staff console: login, ticket queue and search, transcripts, takeover, answers.

`helpdesk.console.setup.add_routes(app)` adds its pages; `services.console_services`
builds it (helpdesk.app, the composition root). This package
file stays empty so that the migrations can import the console's models alone.
"""
