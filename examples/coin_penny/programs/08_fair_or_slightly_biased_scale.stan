// Fair or slightly biased: the log-odds of heads are normal around 0 with an unknown spread whose
// exponential(20) prior puts most mass on an almost perfectly fair coin but allows a small bias.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0> spread;
  real log_odds;
}
transformed parameters {
  real<lower=0, upper=1> bias = inv_logit(log_odds);
}
model {
  spread ~ exponential(20);
  log_odds ~ normal(0, spread);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
