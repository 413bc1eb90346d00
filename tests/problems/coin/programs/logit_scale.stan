// Prior on the log-odds of heads, centred on a fair coin.
data {
  int<lower=0> num_flips;
  int<lower=0, upper=num_flips> num_heads;
}
parameters {
  real log_odds;
}
transformed parameters {
  real<lower=0, upper=1> bias = inv_logit(log_odds);
}
model {
  log_odds ~ normal(0, 0.3);
  num_heads ~ binomial_logit(num_flips, log_odds);
}
