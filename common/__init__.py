"""Django-free pieces shared by the engine and the apps; imports nothing from the project."""
