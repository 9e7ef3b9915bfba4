"""Printing: the patient's Reports tab and the batch printing page."""
