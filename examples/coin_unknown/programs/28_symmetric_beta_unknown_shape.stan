// The bias is Beta(a, a), symmetric about a fair coin, with the shape a ~ gamma(2, 1) unknown: the prior
// can be flat, humped or U-shaped. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0> a;
  real<lower=0, upper=1> bias;
}
model {
  a ~ gamma(2, 1);
  bias ~ beta(a, a);
  num_heads ~ binomial(num_flips, bias);
}
