// Binomial model on the log-odds scale; the data should dominate, so the log-odds are left unconstrained.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real log_odds;
}
model {
  num_heads ~ binomial_logit(num_flips, log_odds);
}
generated quantities {
  real<lower=0, upper=1> bias = inv_logit(log_odds);
}
