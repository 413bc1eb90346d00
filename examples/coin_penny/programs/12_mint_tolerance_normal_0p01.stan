// Minted pennies are extremely consistent, so the bias is normal(0.5, 0.01) truncated to [0, 1];
// the heads count is binomial.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.5, 0.01) T[0, 1];
  num_heads ~ binomial(num_flips, bias);
}
