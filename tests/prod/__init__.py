"""Production tests: several processes, both databases, migrations, limits, headers, failures."""
