"""Reading what comes in: patient records, patient lists, and the map from a list's headers to docgen's fields."""
