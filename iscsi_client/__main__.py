from iscsi_client.cli.app import main

main()
