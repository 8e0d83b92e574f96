from auditor.console import main

main()
