// Gold presence follows a logistic Gaussian process along the rod (low-rank basis-function approximation): nearby
// places share their chance of gold. The length scale is around 10 cm; test errors are absorbed by the smooth probability.
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
  real<lower=0> rho;
  real<lower=0> alpha;
  real mu;
  vector[M] z;
}
transformed parameters {
  vector[N] f;
  {
    vector[M] sqrt_spd = alpha * sqrt(sqrt(2 * pi()) * rho * exp(-0.5 * square(rho * omega)));
    f = mu + PHI * (sqrt_spd .* z);
  }
}
model {
  rho ~ lognormal(log(10), 0.5);
  alpha ~ normal(0, 2) T[0, ];
  mu ~ normal(0, 2);
  z ~ std_normal();
  gold_train ~ bernoulli_logit(f[1:num_train]);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_logit_rng(f[(num_train + 1):N]);
}
