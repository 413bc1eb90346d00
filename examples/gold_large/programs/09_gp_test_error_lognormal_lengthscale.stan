// Gold stretches modelled by an approximate squared-exponential GP on the log-odds scale (length scale lognormal around
// 10 cm, exponential prior on the amplitude); a test is wrong with probability around 5%.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int N = num_train + num_test;
  array[N] real x = append_array(train_locs, test_locs);
  int M = 50;
  real L = 0.75 * rod_length;
  matrix[N, M] PHI;
  vector[M] omega;
  for (m in 1:M) {
    omega[m] = m * pi() / (2 * L);
    for (n in 1:N) PHI[n, m] = sin(omega[m] * (x[n] - rod_length / 2 + L)) / sqrt(L);
  }
}
parameters {
  real<lower=0> ell;
  real<lower=0> amp;
  real b0;
  real<lower=0, upper=1> p_err;
  vector[M] z;
}
transformed parameters {
  vector[N] g;
  {
    vector[M] sqrt_spd = amp * sqrt(sqrt(2 * pi()) * ell * exp(-0.5 * square(ell * omega)));
    g = b0 + PHI * (sqrt_spd .* z);
  }
}
model {
  ell ~ lognormal(log(10), 0.6);
  amp ~ exponential(0.5);
  b0 ~ normal(0, 2);
  p_err ~ beta(1, 19);
  z ~ std_normal();
  for (n in 1:num_train) {
    real q = inv_logit(g[n]);
    gold_train[n] ~ bernoulli((1 - p_err) * q + p_err * (1 - q));
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(g[num_train + j]);
}
