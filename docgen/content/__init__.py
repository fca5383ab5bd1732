"""What the documents say: the risk catalogue, tailoring rules, document control, translations and reading level."""
