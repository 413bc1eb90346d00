// The bias is Beta(a, a) with an unknown shape a ~ exponential(1): a below 1 gives a U-shaped prior
// (badly bent), a above 1 a hump around 0.5 (barely bent). Heads are binomial.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0> a;
  real<lower=0, upper=1> bias;
}
model {
  a ~ exponential(1);
  bias ~ beta(a, a);
  num_heads ~ binomial(num_flips, bias);
}
