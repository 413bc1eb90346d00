// Binomial heads with a bias that is normal(0.5, 0.02) truncated to [0, 1]: a mint-fresh penny can only
// deviate from fairness by a tiny amount.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.5, 0.02) T[0, 1];
  num_heads ~ binomial(num_flips, bias);
}
