// Bias normal(0.5, 0.2) truncated to [0, 1]: a found coin is probably a real, roughly fair coin, but it
// could be worn or a trick coin. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.5, 0.2) T[0, 1];
  num_heads ~ binomial(num_flips, bias);
}
