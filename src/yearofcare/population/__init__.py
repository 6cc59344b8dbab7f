"""The population stage: long-term conditions from codes, costing, multimorbidity, `person_year`.

`yoc build` (yearofcare.population.person_year.build) reads the canonical tables and writes
`person_year` plus its derived tables; `population.analysis` reads `person_year`.
"""
