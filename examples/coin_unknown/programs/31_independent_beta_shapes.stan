// Unknown coin, unknown shape of the prior: bias ~ Beta(a, b) with a and b gamma(2, 1), so the prior may
// lean to heads, tails or neither. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0> a;
  real<lower=0> b;
  real<lower=0, upper=1> bias;
}
model {
  a ~ gamma(2, 1);
  b ~ gamma(2, 1);
  bias ~ beta(a, b);
  num_heads ~ binomial(num_flips, bias);
}
