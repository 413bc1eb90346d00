// A latent Gaussian process over position (squared-exponential kernel, Hilbert-space basis approximation) gives the
// log-odds of gold, so gold comes in stretches; each test reports the true state but is wrong with a small probability.
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
  array[N] real locs = append_array(train_locs, test_locs);
  int M = 50;
  real L = 0.75 * rod_length;
  matrix[N, M] PHI;
  vector[M] omega;
  for (m in 1:M) {
    omega[m] = m * pi() / (2 * L);
    for (n in 1:N) PHI[n, m] = sin(omega[m] * (locs[n] - rod_length / 2 + L)) / sqrt(L);
  }
}
parameters {
  real<lower=0> length_scale;
  real<lower=0> magnitude;
  real mean_log_odds;
  real<lower=0, upper=1> error_rate;
  vector[M] eta;
}
transformed parameters {
  vector[N] f;
  {
    vector[M] sqrt_spd = magnitude * sqrt(sqrt(2 * pi()) * length_scale * exp(-0.5 * square(length_scale * omega)));
    f = mean_log_odds + PHI * (sqrt_spd .* eta);
  }
}
model {
  length_scale ~ inv_gamma(5, 50);
  magnitude ~ normal(0, 3) T[0, ];
  mean_log_odds ~ normal(0, 1.5);
  error_rate ~ beta(2, 20);
  eta ~ std_normal();
  for (n in 1:num_train) {
    gold_train[n] ~ bernoulli(error_rate + (1 - 2 * error_rate) * inv_logit(f[n]));
  }
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) {
    gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
  }
}
