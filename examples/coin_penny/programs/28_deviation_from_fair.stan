// The bias is one half plus a small deviation; the deviation is normal(0, 0.02), since a minted penny
// is almost perfectly balanced. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=-0.5, upper=0.5> deviation;
}
transformed parameters {
  real<lower=0, upper=1> bias = 0.5 + deviation;
}
model {
  deviation ~ normal(0, 0.02);
  num_heads ~ binomial(num_flips, bias);
}
