"""The back office: routing a case through its workflow's stages, one step per department,
and the decisions on those steps. Entry points: `actions.case_route` (run by the
`casework.route_case` task) and `actions.step_decide`."""
