"""Every sentence the pages state about the data, as a finding: a checkable claim with its value, direction and words."""
