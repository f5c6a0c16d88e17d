"""Documents: rendering (WeasyPrint), content-addressed storage, and issuing."""
