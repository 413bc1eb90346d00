// The bias is bounded to [0, 1] and otherwise unknown, so it keeps the implicit uniform prior of its
// bounds. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  num_heads ~ binomial(num_flips, bias);
}
