"""Documents (PDFs) for every service: templates (templates.py), HTML -> PDF in child
processes (pdf.py), storage (storage.py), and the issuing of a service's documents with
their rows (issuing.py, models.py). docs/architecture.md, "Documents", says why."""
