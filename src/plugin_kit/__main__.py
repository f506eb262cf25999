"""`python -m plugin_kit` runs the `plugin` command."""

if __name__ == "__main__":
    from plugin_kit.cli.main import main

    main()
