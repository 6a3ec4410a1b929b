from oscp_flow.cli import app

app()
