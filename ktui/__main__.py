from ktui.cli import entry

entry()
