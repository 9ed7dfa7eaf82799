// Scenario: YAML scenario files with units, validation and sweeps. (Being built: issue 6.)
