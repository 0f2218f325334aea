from pyfunc_core.cli.main import main

main()
