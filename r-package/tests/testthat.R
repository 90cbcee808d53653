library(testthat)
library(synthsurvey)

test_check("synthsurvey")
