// The bias is one half plus a tilt caused by the bend; the tilt is normal(0, 0.3), so deviations of 0.3
// or more from fairness are quite plausible. Binomial heads.
data {
  int num_flips;
  int num_heads;
}
parameters {
  real<lower=-0.5, upper=0.5> tilt;
}
transformed parameters {
  real<lower=0, upper=1> bias = 0.5 + tilt;
}
model {
  tilt ~ normal(0, 0.3);
  num_heads ~ binomial(num_flips, bias);
}
