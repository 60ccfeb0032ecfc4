"""Hidden checks per assignment module (``autograder.checks.<module>`` mirrors ``course.checks.<module>``)."""
