"""The PySide6 desktop app: the window at the top (app, main_window, menus, navigation,
welcome, screenshot), one folder a feature, and kit/ for what they share."""
