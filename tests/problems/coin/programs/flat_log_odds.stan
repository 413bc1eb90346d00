// Forgets the prior on the log-odds: improper, so it cannot be weighed.
data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
parameters {
  real log_odds;
}
model {
  num_heads ~ binomial_logit(num_flips, log_odds);
}
generated quantities {
  real bias = inv_logit(log_odds);
}
