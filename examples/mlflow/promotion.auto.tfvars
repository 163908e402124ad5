# Which version of the Food-11 model serves where. One line per environment; a promotion is a
# one-line change, reviewed as a diff together with the plan it produces.
development      = "3"
staging          = "2"
staging_approved = "2"
canary           = null
production       = "1"
