// Weakly informative normal(0.5, 0.3) prior on the bias, centred on fairness; binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.5, 0.3);
  num_heads ~ binomial(num_flips, bias);
}
