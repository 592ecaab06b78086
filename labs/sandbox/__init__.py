"""Every call to the sandbox Docker daemon lives in this package."""
