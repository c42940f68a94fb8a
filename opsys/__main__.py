from opsys.cli.main import run

run()
