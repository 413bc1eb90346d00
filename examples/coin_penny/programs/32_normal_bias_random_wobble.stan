// The bias is normal around 0.5 with an unknown wobble (half-normal(0, 0.03)) reflecting how far a
// particular penny may deviate from perfect balance; truncated to [0, 1]. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0> wobble;
  real<lower=0, upper=1> bias;
}
model {
  wobble ~ normal(0, 0.03);
  bias ~ normal(0.5, wobble) T[0, 1];
  num_heads ~ binomial(num_flips, bias);
}
