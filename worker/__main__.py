from worker.cli import cli

cli()
