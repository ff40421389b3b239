"""The case, from submission to its end, for everyone who works on it or follows it: the
case record and its history, routing through the stages (one step per department, parallel
steps in a stage), decisions, corrections, withdrawal, checks, deadlines, ratings and their
follow-ups, and the staff workbench. One module per question (`submission`, `routing`,
`decisions`, `citizen`, `ratings`, ...); the citizen's pages read a running case through
`selectors`."""
