from iscsi_client.cli.entry import main

main()
