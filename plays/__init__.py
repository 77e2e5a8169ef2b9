"""Pure domain: health scoring, segments, play catalog, trigger evaluation, alert lifecycle. No I/O."""
