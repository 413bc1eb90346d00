// The bias is normal(0.5, 0.25) truncated to [0, 1]: weakly centred on a fair coin, broad enough for
// any real bias. Binomial heads.
data {
  int num_flips; // number of times the coin was flipped
  int num_heads; // number of flips that came up heads
}
parameters {
  real<lower=0, upper=1> bias;
}
model {
  bias ~ normal(0.5, 0.25) T[0, 1];
  num_heads ~ binomial(num_flips, bias);
}
