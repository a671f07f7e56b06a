"""Making and describing tasks: `init_task` turns user code into a problem file; `describe` probes a
problem (shapes, dtypes, tolerance, hardware card) in a subprocess with the allowlisted environment."""
